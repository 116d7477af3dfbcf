"""stance.speaker on real seed sentences: whose voice is this, and who is it?

Every sentence below is copied from the bundled seeds as stance.segment cuts
them (MERICS bold markup and curly quotes included); the expected voice and
name are an analyst's reading of the source, not the rules' output.
"""

from __future__ import annotations

import pytest

from stance.speaker import Speaker, speaker, speakers

AUTHOR, QUOTED = "author", "quoted"

# (sentence, voice, name)
GOLD = [
    # --- quoted: attribution before the verb
    ("Zhang further emphasizes that strengthening bilateral economic and trade cooperation aligns "
     "with the fundamental interests of the people in both countries.", QUOTED, "Zhang"),
    ("Zhang Jifeng, a former vice director of the Institute of Japanese Studies at the Chinese "
     "Academy of Social Sciences, highlights the significance of major traded commodities between "
     "China and Japan, including chips and the automobile industry.", QUOTED, "Zhang Jifeng"),
    ("Speaking at the World Economic Forum, Chinese vice-premier Ding Xuexiang, who chairs the "
     "powerful Communist Party commission in charge of science and technology, said that in AI "
     'China "will not blindly follow the trend or engage in unrestrained international competition."',
     QUOTED, "Ding Xuexiang"),
    ("A spokesman for China’s Taiwan Affairs Office has sternly demanded that Taiwanese authorities "
     "quickly reveal the full truth and properly account for the deaths of two mainland Chinese "
     "fishermen earlier this month.", QUOTED, "Taiwan Affairs Office spokesman"),
    ("Stressing that the loss of life discloses the facts just and properly, Zhu said, “We sternly "
     "demand the Taiwan authorities quickly reveal the real truth, severely punish those responsible, "
     "meet the reasonable demands of the victims’ families, sincerely apologize to the families and "
     "compatriots across the Strait, and provide a full accounting.”", QUOTED, "Zhu"),
    ("At a State Council Information Office press conference in January, SASAC Secretary General and "
     "Spokesperson Zhuang Shuxin introduced that the regulator will plan and promote a batch of major "
     "projects, select “100 Projects” in strategic emerging industries, build strategic emerging "
     "industry clusters, and implement special actions like “AI+.”", QUOTED, "Zhuang Shuxin"),
    ("After the tragedy, Taiwanese officials claimed their personnel acted appropriately during the "
     "“law enforcement” operation, attempting to cover up their violent actions.", QUOTED,
     "Taiwanese officials"),
    ("However, the lead scientist of this seven-year study, Chen Xi, suggests that if developed, this "
     "treatment would likely be in drug form rather than direct plasma exchange.", QUOTED, "Chen Xi"),
    ("Chen emphasized that this research is just the beginning.", QUOTED, "Chen"),
    ("At the World Economic Forum in January 2024, Zheng highlighted that China leads in battery "
     "recycling technologies.", QUOTED, "Zheng"),
    ("By 2042, Zheng believes China will no longer need to mine new mineral materials due to its "
     "mature battery recycling market.", QUOTED, "Zheng"),
    ("Baidu’s Robin Li observed that in the US and Europe, the focus is on developing cutting-edge "
     "foundation models.", QUOTED, "Robin Li"),
    ("Remarkably, he noted that a year ago, their LLM was eight years behind ChatGPT, and now it has "
     "caught up.", QUOTED, None),
    ("Faced with restricted access to cutting-edge hardware due to US export controls, DeepSeek says "
     "it trained its R1 model using only about 2,000 Nvidia H800 chips, which are less advanced than "
     "Nvidia's top-performing chips.", QUOTED, "DeepSeek"),
    ("National Bureau of Statistics said its index fell to 49.1 at the start of the year from 50.1 in "
     "December 2024, the first time since September that manufacturing activity – including "
     "production, new orders, employment, supplier deliveries and inventories – shrank.", QUOTED,
     "National Bureau of Statistics"),
    ("On Monday, Vanke said it anticipated a net loss of approximately CNY 45 billion (EUR 5.8 billion) "
     "last year, its first ever annual loss and more than double analyst projections.", QUOTED, "Vanke"),
    ("UN experts have also urged Thailand to halt the transfer, saying the men face a \"real risk of "
     "torture or other cruel, inhuman or degrading treatment or punishment.\"", QUOTED, "UN experts"),
    ("However, the agency warned that it had \"low confidence\" in this finding.", QUOTED, "agency"),
    ("The Financial Times called the application “China’s latest answer to OpenAI” and notes that "
     "“Beijing’s latest attempt to control how artificial intelligence informs Chinese internet users "
     "has been rolled out as a chatbot trained on the thoughts of President Xi Jinping.”", QUOTED,
     "Financial Times"),
    ("Before becoming President, Biden criticized Trump’s 2018 tariff strategy, arguing it would harm "
     "American consumers and farmers more than it pressured China to change its trade practices.",
     QUOTED, "Biden"),
    # --- quoted: attribution after the quotation or the verb
    ('**MERICS analysis**: "A transatlantic agenda on China will likely narrow in scope but remains '
     'crucial" says **Grzegorz Stec**, Head of the MERICS Brussels office.', QUOTED, "Grzegorz Stec"),
    ("Measures take a while to make an impact and Chinese AI companies could stockpile a lot of "
     'Nvidia GPUs before the October 2023 update to the controls expanded the parameters," says '
     "**Rebecca Arcesati**, Lead Analyst at MERICS.", QUOTED, "Rebecca Arcesati"),
    ('**MERICS analysis:** "Vanke\'s debt troubles are a strong indicator that China\'s property '
     'downturn has not reached the bottom and remains a drag on consumer demand," says Senior Analyst '
     "**Alexander Brown**.", QUOTED, "Alexander Brown"),
    ('**MERICS analysis:** "China\'s efforts to make essential drugs available has come with '
     'unintended side effects," says MERICS Analyst, **Alexander Davey**.', QUOTED, "Alexander Davey"),
    ("Some on the island also made arrogant remarks downplaying the incident, the spokesman Zhu "
     "Fenglian said.", QUOTED, "Zhu Fenglian"),
    ("However, they continue making excuses to shirk responsibility and obscure the truth about what "
     "transpired, Zhu added.", QUOTED, "Zhu"),
    ("China will firmly safeguard the legitimate rights and interests of its compatriots and not allow "
     "such incidents to happen again, the spokesman emphasized.", QUOTED, "spokesman"),
    ("Brussels has renewed its World Trade Organization complaint against China for alleged economic "
     "coercion of Lithuania, the European Commission said.", QUOTED, "European Commission"),
    ("The US overtook China in 2024 to become Germany's largest trading partner for the first time "
     "since 2016, according to Germany Trade & Invest, the country's international business "
     "promotion agency.", QUOTED, "Germany Trade & Invest"),
    ("According to a report from Nikkei Asia on February 21, Japan’s exports to China showed a "
     "consecutive second-month increase in January.", QUOTED, "Nikkei Asia"),
    ("As Manya Koetse concludes: “There is no such thing as Chat Xi PT!”", QUOTED, "Manya Koetse"),
    ("According to the researchers: “The fractional quantum Hall state is akin to turning light into "
     "an incompressible liquid.", QUOTED, "researchers"),
    # --- quoted: quotation marks alone
    ("“The notable surge in Japan’s exports to China indicates that Japanese businesses are opting not "
     "to align with the decoupling measures pursued by the US.”", QUOTED, None),
    ("With the new tariffs imposed by Biden, China has reached a pivotal point in its ambitious plan to "
     "co-create a new world order: “to work with the Arab Side (read: every nation of the Global "
     "South) to jointly champion an equal and orderly multipolar world and a universally beneficial "
     "and inclusive economic globalization, and set a model of South-South cooperation on global "
     "governance.” – Xi Jinping.", QUOTED, "Xi Jinping"),
    # --- the author's own voice
    ('In my book "Can We Trust China?", I argue that Brussels will likely prioritize saving jobs and '
     "companies in the automotive industry over accelerating a clean energy transition with Chinese "
     "products.", AUTHOR, None),
    ("I agree with Robin Zheng that the geopolitical blame game regarding China's battery and EV "
     "overcapacity is counterproductive.", AUTHOR, None),
    ("I highly recommend watching Robin Zheng's speech at WEF24, where he discusses the importance of "
     "global cooperation to decarbonize the planet and the role of CATL in providing recycling "
     "technology worldwide.", AUTHOR, None),
    ("However, as we approach a heated campaign between Biden and Trump, both are keen to demonstrate "
     "their toughness on China, leading to further trade tensions.", AUTHOR, None),
    ("This is a huge challenge to the dominant players like OpenAI, which has since accused DeepSeek of "
     "using their work without permission.", AUTHOR, None),
    ("The number suggests that businesses are not benefiting much from recent economic stimulus "
     "measures and that more government support may be needed soon.", AUTHOR, None),
    ("The application is not primarily centered around Xi Jinping Thought but rather emphasizes "
     "Cyberspace Administration and digital governance.", AUTHOR, None),
    ("This marks a “point of no return” towards gradual de-globalization with China in the Global North "
     '(termed "de-risking") and accelerated re-globalization with China in the Global South.',
     AUTHOR, None),
    ("“REORGANIZED CHAOS”", AUTHOR, None),
    ("The Nasdaq plummeted three percent Monday as a privately backed Chinese startup shocked the tech "
     "world with an open-sourced AI model that outperforms Western competitors at a fraction of the "
     "cost – revving up the fierce race for AI superiority between the US and China.", AUTHOR, None),
    ("MERICS Chief Economist **Max Zenglein** shares his takes on the state of China's economy.",
     AUTHOR, None),
    ("**What to watch:** China's government is striving to make healthcare more affordable, since the "
     'nation faces the challenge of "getting old before getting rich," as a popular saying puts it.',
     AUTHOR, None),
    ("Mainland Demands Full Accounting from Taiwan Over Fishermen Deaths", AUTHOR, None),
    ("With the need for chip manufacturing equipment soaring in China, Japanese companies seized the "
     "opportunity.", AUTHOR, None),
]

# Readings the rules get wrong, kept visible: strict, so a fix shows up.
KNOWN_MISSES = [
    # indirect speech of the spokesman between "Zhu Fenglian said" and "Zhu
    # added", with no cue in the sentence itself
    ("It was only under immense pressure from people across the Taiwan Strait and the victims’ "
     "families that the Taiwanese side finally admitted the boat collision and capsizing led to the "
     "casualties.", QUOTED, "Zhu"),
]


def _reading(s: Speaker) -> tuple[str, str | None]:
    return s.voice, s.name


def _gold(fragment: str) -> str:
    (text,) = [g[0] for g in GOLD if fragment in g[0]]
    return text


@pytest.mark.parametrize(("text", "voice", "name"), GOLD, ids=[g[0][:50] for g in GOLD])
def test_seed_sentence_voice_and_name(text, voice, name):
    assert _reading(speaker(text)) == (voice, name)


@pytest.mark.parametrize(("text", "voice", "name"), KNOWN_MISSES, ids=[g[0][:50] for g in KNOWN_MISSES])
@pytest.mark.xfail(strict=True, reason="indirect speech without a cue in the sentence")
def test_known_misses(text, voice, name):
    assert _reading(speaker(text)) == (voice, name)


def test_cues_say_what_gave_the_voice_away():
    zhang = speaker(_gold("Zhang further emphasizes"))
    assert zhang.cue == "emphasizes"
    assert speaker("According to the researchers: “The fractional quantum Hall state is akin to "
                   "turning light into an incompressible liquid.").cue == "according to"
    assert speaker("“The notable surge in Japan’s exports to China indicates that Japanese "
                   "businesses are opting not to align with the decoupling measures pursued by "
                   "the US.”").cue == "quotation"
    assert speaker("I agree with Robin Zheng that the geopolitical blame game is "
                   "counterproductive.").cue == "first person"
    plain = speaker("With the need for chip manufacturing equipment soaring in China, Japanese "
                    "companies seized the opportunity.")
    assert plain == Speaker("author", None, None)


# The researchers' quotation in the Coppens newsletter: one opening mark, seven
# sentences, one closing mark.
RESEARCHERS = [
    "In May, Chinese researchers achieved the fractional quantum anomalous Hall state using photons.",
    "According to the researchers: “The fractional quantum Hall state is akin to turning light into "
    "an incompressible liquid.",
    "This represents a completely new manifestation of the quantum matter state.",
    "The design involves placing a single photon into a photon box, which the Chinese scientists have "
    "named 'Plasmonium.'",
    "This box confines a photon and prevents a second photon from entering once the first one is "
    "confined.",
    "Essentially, photons can be used to repel each other like electrons.",
    "This method allows for a more tangible and observable study of the fractional Hall state, and it "
    "can be used as a basic unit to expand and create more and different quantum states that do not "
    "naturally exist.",
    "By using it as a unit, they can develop more practical, fault-tolerant topological quantum "
    "computing for the future.”",
    "8. China Generative AI updates of May 2024",
]


def test_previous_sentence_carries_an_open_quotation():
    s = speaker(RESEARCHERS[2], previous=RESEARCHERS[1])
    assert s == Speaker("quoted", "researchers", "continued quotation")
    # without the previous sentence there is nothing to go on
    assert speaker(RESEARCHERS[2]).voice == "author"


def test_a_closing_mark_alone_shows_the_sentence_ends_a_quotation():
    assert speaker(RESEARCHERS[7]) == Speaker("quoted", None, "continued quotation")


@pytest.mark.xfail(strict=True, reason="speaker() sees one sentence back; speakers() sees the document")
def test_one_sentence_back_cannot_follow_a_long_quotation():
    assert speaker(RESEARCHERS[4], previous=RESEARCHERS[3]).voice == "quoted"


def test_speakers_follows_a_quotation_over_many_sentences():
    found = speakers(RESEARCHERS)
    assert found[0] == Speaker("author")
    assert [s.voice for s in found[1:8]] == ["quoted"] * 7
    assert {s.name for s in found[1:8]} == {"researchers"}
    assert found[8] == Speaker("author")  # the quotation closed


def test_speakers_names_every_sentence_of_an_attributed_quotation():
    merics = [
        'The success also strengthens advocates of open-source AI in China and beyond.',
        '**MERICS analysis:** "DeepSeek\'s breakthrough is not a lesson on the failure of export '
        "controls.",
        "Measures take a while to make an impact and Chinese AI companies could stockpile a lot of "
        'Nvidia GPUs before the October 2023 update to the controls expanded the parameters," says '
        "**Rebecca Arcesati**, Lead Analyst at MERICS.",
        '"But it does pose a broader dilemma: Is Silicon Valley\'s resource-hungry approach to '
        'frontier AI development sustainable, and is it even necessary?"',
        "#### Media coverage and sources:",
    ]
    assert [_reading(s) for s in speakers(merics)] == [
        ("author", None),
        ("quoted", "Rebecca Arcesati"),  # named by the attribution that follows
        ("quoted", "Rebecca Arcesati"),
        ("quoted", "Rebecca Arcesati"),  # a bare quotation right after
        ("author", None),
    ]


def test_a_bare_quotation_after_an_attributed_one_shares_its_speaker():
    brown = _gold("says Senior Analyst **Alexander Brown**")
    follow = '"European firms ought to factor this into their expectations for 2025."'
    assert speaker(follow, previous=brown) == Speaker("quoted", "Alexander Brown", "quotation")
    assert speaker(follow) == Speaker("quoted", None, "quotation")


def test_speakers_agrees_with_speaker_on_single_sentences():
    texts = [g[0] for g in GOLD]
    alone = [speaker(t, previous) for t, previous in zip(texts, [None, *texts[:-1]])]
    together = speakers(texts)
    # the document reading only ever adds names; voices are the same here
    assert [s.voice for s in together] == [s.voice for s in alone]


def test_refuses_what_is_not_text():
    with pytest.raises(TypeError, match="expects a str"):
        speaker(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="single str"):
        speakers("Zhang said so.")


# --- Beyond the seeds: sentences written in the styles the seeds lack (state
# media, press conferences, news wires, think tanks), each for a reading the
# seeds do not exercise.


@pytest.mark.parametrize(
    ("text", "voice", "name"),
    [
        # a short quotation that is a whole sentence is a quotation
        ("“We will respond.”", QUOTED, None),
        ("“Never.”", QUOTED, None),
        # a title in quotation marks is not ("REORGANIZED CHAOS" above)
        ("The official's answer was \"maybe\".", AUTHOR, None),
        # corner brackets, as Taiwanese and Hong Kong outlets print them
        ("「We will never accept interference in our internal affairs,」 a spokesperson for the "
         "Taiwan Affairs Office said.", QUOTED, "Taiwan Affairs Office spokesperson"),
        ("「The mainland will take all necessary measures to defend national sovereignty.」", QUOTED, None),
    ],
)
def test_quotation_marks(text, voice, name):
    assert _reading(speaker(text)) == (voice, name)


def test_a_short_sentence_opening_a_quotation_is_quoted():
    found = speakers(['"We will respond.', 'We have the tools," Wang Wenbin said.'])
    assert [s.voice for s in found] == ["quoted", "quoted"]


def test_straight_quotes_reopened_at_each_paragraph_of_a_quotation():
    # American style: every paragraph of a long quotation opens again, only
    # the last one closes; the reopening mark used to close the quotation.
    raimondo = [
        "Gina Raimondo put the case plainly in her testimony:",
        '"China is not our friend.',
        "They want what we have, and they will get it any way they can.",
        '"We cannot let them have our most sophisticated chips.',
        'That is why the controls matter."',
        "The committee did not dispute her figures.",
    ]
    assert [s.voice for s in speakers(raimondo)] == ["author"] + ["quoted"] * 4 + ["author"]


def test_an_inch_mark_opens_no_quotation():
    found = speakers(['The plant makes 12" wafers and 8" wafers for carmakers.',
                      "Output rose in March."])
    assert [s.voice for s in found] == ["author", "author"]


def test_a_quotation_that_never_closes_ends_with_its_paragraph():
    sentences = [
        "Jensen Huang was blunt about the effect of the rules.",
        "“The China market is effectively closed to us, he told an audience in Taipei.",
        "Nvidia's market share in China fell from 95 percent to about half in two years.",
        "Huawei's Ascend chips filled much of the gap.",
    ]
    found = speakers(sentences, paragraphs=[0, 0, 1, 1])
    assert [s.voice for s in found] == ["author", "quoted", "author", "author"]
    # without paragraphs there is no telling where it should have closed
    assert [s.voice for s in speakers(sentences)] == ["author", "quoted", "quoted", "quoted"]


def test_a_quotation_closed_in_the_next_paragraph_stays_open():
    # a hard-wrapped line that ends in a full stop starts a new paragraph
    sentences = [
        "“The problem is not that the rules are too strict.",
        "It is that they were written for a world of fabs that no longer exists.",
        "Every year we wait, the gap closes.”",
    ]
    assert [s.voice for s in speakers(sentences, paragraphs=[0, 1, 1])] == ["quoted"] * 3


def test_the_attribution_inside_a_quotation_names_it_before_the_sentence_before_does():
    found = speakers([
        "Li Haidong said the rules were unfair.",
        '"We will respond.',
        'We have the tools," Wang Wenbin said.',
    ])
    assert [_reading(s) for s in found] == [
        ("quoted", "Li Haidong"), ("quoted", "Wang Wenbin"), ("quoted", "Wang Wenbin")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # the person after the titles and the office they hold
        ("Chinese Foreign Minister Wang Yi pointed out that unilateralism and protectionism will lead "
         "nowhere.", "Wang Yi"),
        ("Secretary of Commerce Gina Raimondo said on Tuesday that the department would not hesitate to "
         "update the rules.", "Gina Raimondo"),
        ("Minister of Foreign Affairs Wang Yi said the two sides should meet halfway.", "Wang Yi"),
        ("Dutch Prime Minister Mark Rutte said the Netherlands would make its own decisions.", "Mark Rutte"),
        ("Nvidia CEO Jensen Huang said China was a huge market.", "Jensen Huang"),
        ("US Secretary of State said the talks were productive.", "US Secretary of State"),
        # names with particles, and initials
        ("Commission President Ursula von der Leyen said Europe must de-risk rather than decouple.",
         "Ursula von der Leyen"),
        ("von der Leyen has also warned that China is becoming more repressive.", "von der Leyen"),
        ("Gregory C. Allen argues that the controls are working.", "Gregory C. Allen"),
        # a person of an institution
        ("Prof. Yan Xuetong of Tsinghua University said the bipolar order was already here.", "Yan Xuetong"),
        ("According to Rebecca Arcesati of MERICS, the controls were working.", "Rebecca Arcesati"),
        # organisations whose names hold "and", an acronym or "People's"
        ("The Bureau of Industry and Security (BIS) said in a statement that the rule closes loopholes.",
         "Bureau of Industry and Security"),
        ("The Ministry of Industry and Information Technology said it would support domestic firms.",
         "Ministry of Industry and Information Technology"),
        ("An editorial in the People's Daily said the US is shooting itself in the foot.", "People's Daily"),
        ("The People's Bank of China said it would keep the yuan stable.", "People's Bank of China"),
        ("Shares of AMD rose and Nvidia said it would comply.", "Nvidia"),
    ],
)
def test_speaker_names(text, name):
    assert _reading(speaker(text)) == ("quoted", name)


def test_a_possessive_before_a_cue_makes_it_a_noun():
    assert _reading(speaker('Washington\'s claims of "national security" ring hollow.')) == ("author", None)


@pytest.mark.parametrize(
    "text",
    [
        "Having said that, the rules are still too broad.",
        "That said, the controls have bought time.",
        "All told, exports fell by a third.",
        "Nobody said the transition would be easy.",
        "What Xi said in Davos matters less than what Beijing did afterwards.",
        "Huawei said to be building three fabs near Shenzhen",
        "Huawei is said to have built three fabs near Shenzhen.",
    ],
)
def test_idioms_and_rumours_are_the_authors(text):
    assert _reading(speaker(text)) == ("author", None)


def test_said_to_someone_is_still_said():
    assert _reading(speaker("Wang said to reporters that the talks were candid.")) == ("quoted", "Wang")
    assert _reading(speaker("All three companies said they would comply.")) == (
        "quoted", "All three companies")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # think-tank attributions without a reporting verb
        ("In Allen's view, the controls have since been undermined by weak enforcement.", "Allen"),
        ("In the words of one European diplomat, Brussels is caught between a rock and a hard place.",
         "European diplomat"),
        ("The rules are, as one analyst put it, a gift to Huawei.", "analyst"),
        # wire-service sources
        ("Sources familiar with the matter said the talks had stalled.", "Sources"),
        ("Two people with knowledge of the plans said the rule would be published next week.", "Two people"),
        ("The person, who asked not to be identified because the discussions were private, said the deal "
         "was close.", "person"),
        ("According to US officials familiar with the matter, the talks stalled.", "US officials"),
        ("According to Chinese officials, the investigation was launched at the request of domestic "
         "industry.", "Chinese officials"),
        # state-media verbs
        ("The Ministry of Commerce announced on Thursday that it will impose export controls on rare "
         "earths.", "Ministry of Commerce"),
        ("The spokesperson went on to say that Washington should stop abusing state power.", "spokesperson"),
        ("Analysts have long warned of a bubble in Chinese AI chip startups.", "Analysts"),
    ],
)
def test_attributions_beyond_reporting_verbs(text, name):
    assert _reading(speaker(text)) == ("quoted", name)


@pytest.mark.parametrize(
    "text",
    [
        # figures and rules are cited, not quoted
        "China's trade surplus widened to a record in 2024, according to official data.",
        "According to figures from the National Bureau of Statistics, output rose 5 percent.",
        "According to Article 3 of the Export Control Law, items must be licensed.",
        # the words that trigger the new attributions, doing something else
        "In other words, the controls have failed.",
        "In view of the risks, Brussels has moved slowly.",
        "Yet its liquidity problems will put pressure on officials to announce new measures.",
        "BIS announced the new rule on Monday.",
        "Miller wrote Chip War in 2022.",
    ],
)
def test_not_attributions(text):
    assert _reading(speaker(text)) == ("author", None)


@pytest.mark.parametrize(
    ("text", "voice", "name"),
    [
        ("The US has added more than 600 Chinese entities to its trade blacklist.", AUTHOR, None),
        ("Beijing added 28 US firms to its export control list.", AUTHOR, None),
        ('"We have added capacity in every quarter," Zhu added.', QUOTED, "Zhu"),
        # a report's title in quotation marks is no quotation
        ('The report "Running Out of Road: China Pathfinder 2024" documents the slowdown in detail.',
         AUTHOR, None),
        ("In Lind's account, Washington has underestimated Beijing for two decades.", QUOTED, "Lind"),
        # an account nobody owns is no one's view
        ("In the official account, nothing went wrong at the border.", AUTHOR, None),
        ("In American telling, the trade war was won.", AUTHOR, None),
    ],
)
def test_adding_things_titles_and_accounts(text, voice, name):
    assert _reading(speaker(text)) == (voice, name)


def test_two_speakers_joined_by_and_too_long_for_one_name_still_speak():
    # gluing "X and Y" into one name made a 9-word chunk, too long for a speaker: the sentence became
    # the author's, where it had been quoted (the last of them named)
    text = ("Commerce Secretary Gina Raimondo and Trade Minister Wang Wentao said the talks were "
            "candid.")
    assert _reading(speaker(text)) == ("quoted", "Wang Wentao")
    assert _reading(speaker("Smith and Jones said the controls would bite.")) == ("quoted", "Smith and Jones")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("In its assessment, the IMF said growth would slow.", "IMF"),
        ("In his words, Xi said growth would slow.", "Xi"),
        ("In their account, Chinese state media said Xi urged restraint.", "Chinese state media"),
        ("In his view, the controls work.", None),
    ],
)
def test_a_view_that_names_no_one_leaves_the_name_to_the_verb(text, name):
    assert _reading(speaker(text)) == ("quoted", name)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("National Security Adviser Jake Sullivan said the fence was small.", "Jake Sullivan"),
        ("House Speaker Mike Johnson said the bill would pass.", "Mike Johnson"),
        ("European Commission Executive Vice-President Margrethe Vestager said Europe would act.",
         "Margrethe Vestager"),
    ],
)
def test_a_title_after_an_office_is_not_a_first_name(text, name):
    # an office word before a title the list lacked made the title part of the name: "Adviser Jake Sullivan"
    assert _reading(speaker(text)) == ("quoted", name)


def test_a_closing_quote_after_a_number_is_no_inch_mark():
    # the inch-mark rule took 'by 2025" the minister said' for '12" wafers': a quotation carried into
    # the next paragraph (a hard-wrapped line) never closed, and its speaker was lost
    sentences = ['"Exports will grow this year and next,', 'and we expect 5% growth by 2025" the minister said.']
    assert [_reading(s) for s in speakers(sentences, paragraphs=[0, 1])] == [("quoted", "minister")] * 2
    assert _reading(speaker('We expect 5% growth by 2025" he said.')) == ("quoted", None)
    assert [s.voice for s in speakers(['The plant makes 12" wafers and 8" wafers.', "Output rose."])] == ["author"] * 2


# Sentences of training/'s documents that readers of the issue's definition marked quoted
# (bench/reading/speaker-reader.csv) and the rules missed: a speaker with a long name or an aside
# holding commas of its own, a role placed somewhere, an aside adverb, and reporting verbs the
# rules lacked.
TRAINING_QUOTED = [
    ("Nicholas Lardy of the Peterson Institute for International Economics says China spent nearly $30 billion "
     "last year on royalties and licensing fees for foreign technology.", "Nicholas Lardy"),
    ("Rico Luman, who is a senior ING economist specializing in transport, logistics and the auto industry, "
     "noted that European manufacturers really do need a challenge.", "Rico Luman"),
    ("Ferdinand Dudenhoeffer, a German automotive expert who directs Bochum's Center for Automotive Research (CAR), "
     "said this kind of protectionism could drive EU carmakers to invest more in China.", "Ferdinand Dudenhoeffer"),
    ("Analysts around the world say the US launched the trade war as a strategic move to contain China's rapid "
     "development in every respect.", "Analysts"),
    ("Most experts, however, maintain that there is insufficient evidence to show that extra tariffs could halt "
     "China's economic progress.", "Most experts"),
    ("The associate editor added that China's long-term strategic aims are plain enough.", "associate editor"),
    ("Anthropic AI engineer Ben Thompson remarked that DeepSeek has given “a massive gift to nearly everyone.”", "Ben Thompson"),
    ("WASHINGTON – Katherine Tai, the United States Trade Representative, announced today that an investigation "
     "is being opened into China's acts, policies, and practices.", "Katherine Tai"),
    ("Considering the EU's goals for a green transition, Dick Roche, Ireland's former minister for European "
     "affairs, asked what sense it made to impose tariffs on Chinese EVs.", "Dick Roche"),
    ("European officials informed CSIS that regulators fear DeepSeek's success may trigger a race to the bottom.",
     "European officials"),
    ("Had DeepSeek been able to get H100s, he continued, it would likely have trained on a bigger cluster.", None),
    ("Beijing replied that the rules were unfair.", "Beijing"),
    ("The ministry added, however, that talks would go on.", "ministry"),
    ('"It is bad," said Janet Yellen on Monday.', "Janet Yellen"),
    ("“It continues,” said Gina Raimondo today.", "Gina Raimondo"),
    ('"We will act," said the U.S.', "U.S."),
    ("The U.S. said that it would act.", "U.S."),
    # judged in quoted words, wrote "in a post", "admit that", "own words", a clause closed by a quotation
    ("Italy's privacy regulators deemed what DeepSeek provided to them “totally insufficient.”", "Italy's privacy regulators"),
    ("Germany's chancellor Scholz has labelled the higher tariffs proposed by the EU commission “illegal customs barriers”.", "Scholz"),
    ("In a February 10 interview, Mistral CEO Arthur Mensch went further still, describing DeepSeek as "
     "“a player that is very similar to us.”", "Arthur Mensch"),
    ("German Transport Minister Volker Wissing wrote in a post on X that cars get cheaper through competition.", "Volker Wissing"),
    ("Chinese AI firms such as DeepSeek openly admit that chip restrictions are the main thing holding them back.", "DeepSeek"),
    ("He forecasts that by 2030 Chinese firms will hold most of the chip market.", None),
    ('It ushered in a genuine "Chip War," in the words of Chris Miller, a Tufts University history professor.', "Chris Miller"),
    ("In the White House's own words, victory goes to the nation that leads in wireless technology.", "White House"),
    ("The ministry, noting that the measures protect national security, issued new rules.", "ministry"),
    ("According to Harvard professor Graham Allison, conflict followed in 12 of 16 cases.", "Graham Allison"),
    ("According to Sjors ten Tije, who manages the association, carmakers depend on Chinese parts.", "Sjors ten Tije"),
    ("The report states that exports fell.", "report"),
    ("Last week the US president said he wanted to close the gap in the 5G race.", "US president"),
    ("This year Beijing said it would retaliate.", "Beijing"),
    ("On Monday the ministry said it would act.", "ministry"),
    ("Earlier this month the ministry said it would act.", "ministry"),
    ("Beijing earlier this month said it would act.", "Beijing"),
    ("US President Donald Trump outlined a fairer approach on Thursday, tweeting that America should compete.", "Donald Trump"),
    ("CSIS produced a report recommending that U.S. officials watch the talks.", "CSIS"),
    ("Chinese experts concede in private that matching Western chipmakers will take ten years.", "Chinese experts"),
    ("Falling back on that claim, 11 US senators on Monday called on the government to act.", "11 US senators"),
    ("German Chancellor Olaf Scholz shared his worries and likewise voiced criticism of the plan.", "Olaf Scholz"),
    # judged in quoted words a long way on; found and confirmed, with the "that" of what was found
    ("Germany's chancellor Scholz has labelled the higher tariffs proposed by the EU commission, which would cover "
     "the whole EU economic area, “illegal customs barriers”.", "Scholz"),
    ("The final report of the Iraq Survey Group found that Huawei had supplied switches to Iraq.",
     "Iraq Survey Group final report"),  # a role "of" an organisation, as "Taiwan Affairs Office spokesman"
    ("Researchers at Tsinghua University find that the chip uses less power.", "Researchers"),
    ("The Commerce Department confirmed that the licences had been revoked.", "Commerce Department"),
]


@pytest.mark.parametrize("text,name", [
    ("''It is an extremely dangerous trend,'' the official said.", "official"),
    ("A Pentagon expert called the deal ''really worrisome,'' according to a report in the Washington Times.", "Washington Times"),
    ("It is about more than money.'' The senator paused.", None),  # closes a quotation it did not open
])
def test_two_apostrophes_are_read_as_a_quotation_mark(text, name):
    # as typewritten text and old web pages have them
    found = speaker(text)
    assert (found.voice, found.name) == (QUOTED, name)


@pytest.mark.parametrize("text,name", TRAINING_QUOTED, ids=lambda x: x[:40] if isinstance(x, str) else x)
def test_a_speaker_behind_a_long_name_an_aside_or_a_rarer_verb(text, name):
    found = speaker(text)
    assert (found.voice, found.name) == (QUOTED, name)


@pytest.mark.parametrize("text", [
    "Exports continued to rise in May, and the surplus widened.",
    "Analysts in the region are scarce, and the firm asked for more of them.",
    "The ministry wrote a letter that changed nothing.",
    "The company continued.",
    "Exports rose 5%, adding to the surplus.",
    "The U.S. added firms to the entity list today.",
    "China responded angrily.",
    "The US maintains a ban on chip exports.",
    "Firms contend with rising costs.",
    "A start-up called “Moonshot” raised money.",
    "The so-called “Chat Xi PT” application is nothing like its title.",
    "Forecasts of growth were cut, and the firm admitted to losses.",
    "The ministry deemed the plan necessary and labelled the boxes.",
    "It is worth noting that exports fell.",
    "Trump tweeted a photo of the summit.",
    "Will Poland, the Baltic states and other frontline allies feel snubbed?",
    "COMMUNIST CHINA, CFIUS AND THE ART OF ``DROPPING THE SHARK''",
    "The firm's ''clean'' record helped.",
    "The firm found a buyer for its chip unit, and tests confirmed the results.",
])
def test_the_new_verbs_need_their_speech(text):
    assert speaker(text).voice == AUTHOR


@pytest.mark.parametrize("text", [
    # markdown, as a .md file or text copied from a wiki holds it
    '"We will retaliate against the tariffs," said [Gina Raimondo](https://www.commerce.gov).',
    '"We will retaliate against the tariffs," said _Gina Raimondo_.',
    '"We will retaliate against the tariffs," said *Gina Raimondo*.',
    '*"We will retaliate against the tariffs,"* said Gina Raimondo.',
    '"We will retaliate against the tariffs," says Gina Raimondo[^3].',
    '"We will retaliate against the tariffs," said Gina Raimondo.[12]',
    # HTML left in text: tags and entities
    '"We will retaliate against the tariffs," said <b>Gina Raimondo</b>.',
    '&ldquo;We will retaliate against the tariffs,&rdquo; said Gina&nbsp;Raimondo.',
    '<a href="https://www.commerce.gov">Gina Raimondo</a> said the US would retaliate.',
])
def test_markup_around_a_name_is_not_part_of_it(text):
    assert _reading(speaker(text)) == (QUOTED, "Gina Raimondo")
    assert _reading(speakers([text])[0]) == (QUOTED, "Gina Raimondo")


def test_markdown_bold_still_names_the_speaker():
    assert speaker('"Measures take a while," says Senior Analyst **Alexander Brown**.').name == "Alexander Brown"
